"""Unit statistics: administrative figures and quality indicators (resources/indicators.json),
computed nightly per unit, hospital, region and nation, served as aggregates only."""
