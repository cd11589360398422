"""The product catalog: Kaggle styles.csv schema, loading, label cleaning, split, prices."""
