"""The demo world: one simulated district and the feed files its departments would send,
with named faults for tests and demonstrations. Not part of the production path (`ingest/`)."""

from demo.generator import (
    FAULT_KINDS,
    MANIFEST_NAME,
    DemoFile,
    DemoManifest,
    InjectedFault,
    generate_demo_feeds,
    load_manifest,
    parse_faults,
)

__all__ = [
    "FAULT_KINDS",
    "MANIFEST_NAME",
    "DemoFile",
    "DemoManifest",
    "InjectedFault",
    "generate_demo_feeds",
    "load_manifest",
    "parse_faults",
]
