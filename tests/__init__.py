"""Demo Bank tests (a package, so `tests.helpers` is ours and not some installed `tests`)."""
