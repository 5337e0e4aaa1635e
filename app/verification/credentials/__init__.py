"""Cryptographic verification of PID presentations (SD-JWT VC and mdoc).

Independent of the sandbox and of Flask: everything here takes bytes, keys, certificates
and times as arguments, so a real deployment verifies with exactly the same code.
"""
