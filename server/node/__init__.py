"""The Node.js wing: calls that block the event loop or go out over HTTP.

Importing it registers its call classifier with the index."""

from perfaudit.server.analysis.index import register_classifier
from perfaudit.server.node.calls import blocking_call, classify_node_call, http_call

register_classifier(classify_node_call)

__all__ = ["blocking_call", "http_call"]
