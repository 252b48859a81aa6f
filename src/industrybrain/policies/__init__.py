"""Policy direct delivery (惠企政策直达): library, matching, 免申即享 / 快申快享, ledger, simulation."""
