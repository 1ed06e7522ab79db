import six


def handler(event, context):
    return {"statusCode": 200, "body": six.__version__}
