"""The national system (全国防返贫监测信息系统 / 省防贫监测信息系统, DOMAIN.md "The national system's exports"):
its person-level export mapped onto our schemas and back (mapping.py, rules/import.yaml)."""
