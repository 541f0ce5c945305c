"""CAP parsing, validation, hazard classification and priority. Pure: bytes in, objects out."""
