"""Dossier documents of a decision, stage by stage, with attachments and disclosure."""
