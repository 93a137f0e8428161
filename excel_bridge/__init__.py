"""excel_bridge: 防止返贫动态监测和帮扶 through the Excel/WPS workbooks villages, towns and the district already use."""

__version__ = "0.1.0"
