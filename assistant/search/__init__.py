"""Search: sparse and dense index wrappers, fusion, filters, rerank."""
