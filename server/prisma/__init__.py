"""The Prisma wing: schemas (parser, discovery), which calls are queries,
their arguments and selected fields, which schema each query runs against
(`ties`), the index advisor, batching fixes.

Importing it registers `.prisma` files as side documents of the workspace,
the query classifier with the index, `$transaction` as a batch, and the
schema's name as what qualifies a query in listings."""

from perfaudit.server.analysis.effects import register_qualifier
from perfaudit.server.analysis.index import register_classifier
from perfaudit.server.analysis.loops import register_batching_method
from perfaudit.server.analysis.workspace import register_side_documents
from perfaudit.server.prisma.queries import PRISMA_OPERATIONS, PRISMA_READS, PRISMA_WRITES, classify_query, prisma_query
from perfaudit.server.prisma.schemas import schema_file, schemas
from perfaudit.server.prisma.ties import effect_schema_label, schema_for_call, schema_label, schema_of_effect, schema_of_new_client
from perfaudit.server.prisma.index_advisor import advisor_for, p105_options

register_side_documents(".prisma")
register_classifier(classify_query)
register_batching_method("$transaction")
register_qualifier("query", effect_schema_label)

__all__ = [
    "advisor_for", "p105_options",
    "PRISMA_OPERATIONS", "PRISMA_READS", "PRISMA_WRITES", "prisma_query", "schema_file", "schema_for_call",
    "schema_label", "schema_of_effect", "schema_of_new_client", "schemas",
]
