"""Data: reading and checking the WASSA 2021 release and CARER, and the synthetic stand-in for tests.

Imports nothing else of the kit."""
