"""Indicator catalogue and the monthly data cube by region (本月, 累计, 同比, 累计同比), with derived metrics."""
