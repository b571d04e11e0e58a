"""A national year of synthetic demo data: see registry_server.demo.national."""

from registry_server.demo.national import seed_national_demo

__all__ = ["seed_national_demo"]
