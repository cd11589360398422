"""Catalog search: the Chroma collection of catalog items, queries, filters, outfits."""
