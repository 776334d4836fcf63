"""Views, one module per page: summary, detail, and the operational endpoints."""
