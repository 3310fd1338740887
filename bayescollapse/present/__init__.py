"""What a person reads: figures, tables, diagnostics, paired comparisons and the report."""
