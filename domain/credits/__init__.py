"""Credits: the customer's pools of image-job credits, the price of each job, and the
authorise → commit / roll back life of a charge (decision 0048)."""
