"""The Spark proof: the same dbt project built on Spark from the raw lake, compared with
the DuckDB build row for row (tests/test_spark_engine.py, `make spark`)."""
