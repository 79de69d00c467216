"""Every Chinese string a user reads, in one place (``wording.zh``)."""
