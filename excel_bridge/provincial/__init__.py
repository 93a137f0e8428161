"""The provincial system step (DOMAIN.md "The provincial system", plan 五(一)(三)): after the district identifies a
household or eliminates its risk, the town enters it into the provincial system. We do not talk to that system; we
make the step checkable: what to enter (entries.due), the town's 录入结论 and the 国家户编号 it typed back
(entries.apply_entries), and the export of what changed in the national column layout (export.py)."""
