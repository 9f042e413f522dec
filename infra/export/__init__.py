"""Exports of the offline plan in formats other tools read (Terraform plan JSON for scanners)."""
