"""What AWS and this repository offer, whatever the stack: the catalogs under infra/data and the
pure rules over them (CIDR layout, MSK broker sizing and versions, cache engines, EMR releases,
the job's pinned artifacts).

The layer just above infra.paths: config rules, planners, components and commands all read
these facts, so nothing here imports from infra but infra.paths and other catalogs.
"""
