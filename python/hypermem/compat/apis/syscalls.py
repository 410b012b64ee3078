# SPDX-License-Identifier: MIT
"""`from apis.syscalls import ValueFilter`, as penguin's plugins write."""
from hypermem.penguin import SyscallPrototype, ValueFilter

__all__ = ["SyscallPrototype", "ValueFilter"]
