"""The proposal service: the items members file, from draft to public status."""
