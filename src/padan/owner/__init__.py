"""The data owner's side: what is done locally before anything leaves the owner."""
