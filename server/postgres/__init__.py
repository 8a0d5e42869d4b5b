"""The PostgreSQL wing: asks a real database's planner about the index advisor's suggestions.

`sql_shapes` turns each suggested index's query sites into the SQL Prisma
sends; `planner` opens a safe session (read-only, time-limited, EXPLAIN
only) and plans them with and without a HypoPG hypothetical index;
`verdicts` decides what the plans say; `explain` runs the whole and
`results` keeps its outcome in the workspace's `.perfaudit/` for `check`,
the report and the language server. Nothing here imports psycopg until a
database is actually asked.
"""
