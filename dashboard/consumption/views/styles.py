"""How the charts tell apart what they set beside a customer's or a filter's own figures, alike on
every page: the peers' median dashed, a compared period dotted."""
PEER_DASH = [6, 4]
COMPARED_DASH = [2, 3]
