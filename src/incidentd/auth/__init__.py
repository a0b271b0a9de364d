"""Who acts: principals (and, as they come, the policies that say what each may do)."""
