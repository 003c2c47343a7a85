"""What `lab deploy` and the stack would have put in place: the build in S3, the secrets in
Secrets Manager, and the database CA bundle and the SSM and CloudWatch agent packages at a URL. Prints the ARNs
as one JSON object."""
import json
import sys

import boto3

fixtures = sys.argv[1]
settings = dict(
    endpoint_url="http://127.0.0.1:5000",
    region_name="eu-west-1",
    aws_access_key_id="fixture",
    aws_secret_access_key="fixture",
)
s3 = boto3.client("s3", **settings)
s3.create_bucket(Bucket="mcl-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
s3.upload_file(f"{fixtures}/node", "mcl-artifacts", "build/node")
s3.upload_file(f"{fixtures}/components.tar.gz", "mcl-artifacts", "build/components.tar.gz")
# public, so the script downloads it unsigned, as it does the RDS bundle from its public URL
s3.upload_file(f"{fixtures}/rds-ca.pem", "mcl-artifacts", "rds/global-bundle.pem", ExtraArgs={"ACL": "public-read"})
# the stand-in agent package, public as AWS's own agent download is
s3.upload_file(
    f"{fixtures}/amazon-ssm-agent.deb", "mcl-artifacts", "ssm/amazon-ssm-agent.deb", ExtraArgs={"ACL": "public-read"}
)
s3.upload_file(
    f"{fixtures}/amazon-cloudwatch-agent.deb",
    "mcl-artifacts",
    "agents/amazon-cloudwatch-agent.deb",
    ExtraArgs={"ACL": "public-read"},
)

with open(f"{fixtures}/secrets.json") as f:
    values = json.load(f)
sm = boto3.client("secretsmanager", **settings)
arns = {name: sm.create_secret(Name=name, SecretString=value)["ARN"] for name, value in values.items()}
print(json.dumps(arns))
