"""SKU mappings, pure: file parsing with line numbers, the checked set, planning, the editor's text edit."""
