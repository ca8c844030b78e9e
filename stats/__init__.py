"""Growth (robeing_stats): the XP ledger, levels, stat points, unlocks, badges,
task reports, and the aggregation that counts conversation turns into them.
Above conversations, whose turns it claims and counts."""
