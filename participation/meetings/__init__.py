"""Decision meetings with representatives: open call, verifiable selection, attendance."""
