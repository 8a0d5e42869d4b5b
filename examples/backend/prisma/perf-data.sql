-- Production-shaped data for `perfaudit explain`: run it on a database built
-- from migrations/ (never on a real one: it inserts rows). The audit log and
-- the comments are large, the book catalogue is tiny, and almost no comment is
-- soft-deleted, so the planner meets the sizes and spreads a live database has.
-- ANALYZE at the end gives it the statistics (reltuples, null fractions) it
-- plans with.

INSERT INTO "User" ("id", "email", "displayName", "passwordHash")
SELECT 'u' || g, 'reader' || g || '@example.com', 'Reader ' || g, 'x'
FROM generate_series(1, 2000) AS g;

INSERT INTO "ReadList" ("id", "ownerId", "title", "visibility", "updatedAt")
SELECT 'r' || g, 'u' || (1 + g % 2000), 'List ' || g,
       (CASE WHEN g % 10 = 0 THEN 'PUBLIC' ELSE 'PRIVATE' END)::"Visibility", now()
FROM generate_series(1, 5000) AS g;

INSERT INTO "Book" ("id", "isbn", "title", "author")
SELECT 'b' || g, lpad((9780000000000 + g)::text, 13, '0'), 'Book ' || g, 'Author ' || (g % 7)
FROM generate_series(1, 20) AS g;

INSERT INTO "Comment" ("id", "bookId", "userId", "body", "createdAt", "deletedAt")
SELECT 'c' || g, 'b' || (1 + g % 20), 'u' || (1 + g % 2000),
       'A thought about chapter ' || (g % 30),
       now() - (g || ' minutes')::interval,
       CASE WHEN g % 100 = 0 THEN now() ELSE NULL END
FROM generate_series(1, 60000) AS g;

INSERT INTO "audit_log" ("id", "actor_id", "action", "entity", "entity_id", "created_at")
SELECT 'a' || g, 'u' || (1 + g % 2000), 'update', 'ReadList', 'r' || (g % 5000),
       now() - (g || ' seconds')::interval
FROM generate_series(1, 200000) AS g;

ANALYZE;
