"""Questions: what is asked, analysed once and handed to every later stage."""
