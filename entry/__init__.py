"""perfaudit: performance audit for Express + Prisma + Redis TypeScript backends."""

__version__ = "0.1.0"
