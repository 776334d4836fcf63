"""Importing a data folder: `import_data` and what it takes and gives back.

rules.py reads as the import's rules and guarantees; rows.py names the rows computed from a
customer's readings; writer.py is the one interface to the database, sqlite.py and postgres.py
its implementations.
"""
from .folder import FatalImportError
from .held import Limits
from .rules import Progress, import_data
from .run import ImportReport

__all__ = ["FatalImportError", "ImportReport", "Limits", "Progress", "import_data"]
