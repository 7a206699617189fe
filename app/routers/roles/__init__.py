"""Roles beside the owner: inviting co-facilitators and coordinators, and accepting."""
