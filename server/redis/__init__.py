"""The Redis wing: clients of ioredis, node-redis and Upstash, followed
through wrappers and getters, and what each command does.

Importing it registers the client facts and the command classifier."""

from perfaudit.server.redis import clients as _clients  # noqa: F401 (registers)
from perfaudit.server.redis.commands import READ_COMMANDS, command_name, is_write_command

__all__ = ["READ_COMMANDS", "command_name", "is_write_command"]
