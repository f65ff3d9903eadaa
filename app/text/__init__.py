"""Text: sentences and the one term analyser shared by indexing, retrieval and answering."""
