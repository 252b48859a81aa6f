"""Enterprise tiered cultivation (梯度培育): tiers, certifications, the cultivation pool and gap analysis."""
