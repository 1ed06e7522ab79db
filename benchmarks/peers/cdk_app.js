// The AWS CDK side of benchmarks/bench_peers.py: N services of the benchmark's production shape in one stack,
// synthesized with app.synth(). Prints one JSON line with the phase timings and the template's resource counts.
//
//   node benchmarks/peers/cdk_app.js --services N --code-root DIR --outdir DIR [--no-validation]
//
// --no-validation turns off the template validation that aws-cdk-lib runs in app.synth() since 2.262 (the built-in
// CloudFormation Validate plugin, WebAssembly), as `cdk synth --no-validation` or CDK_VALIDATION=false do; the
// construct tree's own validation (App.synth's skipValidation) stays on, as in every real synth.
//
// Per service (as the lambdakit program builds it): the function (arm64, python3.12, X-Ray, JSON logs, reserved
// concurrency 10) with its own log group and least-privilege role, a published version, the alias `live` with
// provisioned concurrency 2 autoscaled 2-10 on utilization 0.7, an SQS queue with a DLQ consumed through the alias
// (batch 10, partial batch failures), async invocations with 2 retries and the DLQ as on-failure destination, and
// an error-rate alarm on the alias. Each service has its own code folder, staged as a CDK asset.
'use strict';

const started = process.hrtime.bigint();
const seconds = (from, to) => Number(to - from) / 1e9;

function parseArgs(argv) {
  const out = { services: 200, codeRoot: null, outdir: null, validation: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--services') out.services = Number.parseInt(argv[++i], 10);
    else if (arg === '--code-root') out.codeRoot = argv[++i];
    else if (arg === '--outdir') out.outdir = argv[++i];
    else if (arg === '--no-validation') out.validation = false;
    else throw new Error(`cdk_app.js: unknown argument ${arg}`);
  }
  if (!Number.isInteger(out.services) || out.services < 1) {
    throw new Error(`cdk_app.js: --services must be a positive integer, got ${argv.join(' ')}`);
  }
  if (!out.codeRoot || !out.outdir) throw new Error('cdk_app.js: --code-root DIR and --outdir DIR are required');
  return out;
}

const args = parseArgs(process.argv.slice(2));

const path = require('path');
const cdk = require('aws-cdk-lib');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const lambda = require('aws-cdk-lib/aws-lambda');
const destinations = require('aws-cdk-lib/aws-lambda-destinations');
const eventSources = require('aws-cdk-lib/aws-lambda-event-sources');
const logs = require('aws-cdk-lib/aws-logs');
const sqs = require('aws-cdk-lib/aws-sqs');
const loaded = process.hrtime.bigint();

const app = new cdk.App({
  outdir: args.outdir,
  // One stack holds every service, as the Pulumi stack does. CloudFormation caps a stack at 500 resources, which
  // CDK enforces at synth; lift the cap so that the same template is built and scanned at every N.
  context: { '@aws-cdk/core:stackResourceLimit': 0 },
  analyticsReporting: false,
  builtinCloudFormationValidation: args.validation,
});
const stack = new cdk.Stack(app, 'BenchPeers', { env: { account: '123456789012', region: 'us-east-1' } });

for (let i = 0; i < args.services; i++) {
  const name = `svc-${String(i).padStart(3, '0')}`;
  const functionName = `${name}-prod`;
  const dlq = new sqs.Queue(stack, `${name}-dlq`, {
    retentionPeriod: cdk.Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
  const queue = new sqs.Queue(stack, `${name}-queue`, {
    visibilityTimeout: cdk.Duration.seconds(180),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
  });
  const logGroup = new logs.LogGroup(stack, `${name}-logs`, {
    logGroupName: `/aws/lambda/${functionName}`,
    retention: logs.RetentionDays.ONE_MONTH,
  });
  const fn = new lambda.Function(stack, name, {
    functionName,
    description: `lambdakit service ${name}`,
    runtime: lambda.Runtime.PYTHON_3_12,
    architecture: lambda.Architecture.ARM_64,
    handler: 'handler.handler',
    code: lambda.Code.fromAsset(path.join(args.codeRoot, name)),
    memorySize: 512,
    timeout: cdk.Duration.seconds(30),
    reservedConcurrentExecutions: 10,
    environment: { DB_HOST: 'db.internal', LOG_LEVEL: 'INFO' },
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
  });
  cdk.Tags.of(fn).add('Owner', 'platform');
  cdk.Tags.of(fn).add('Environment', 'prod');
  const alias = new lambda.Alias(stack, `${name}-alias`, {
    aliasName: 'live',
    version: fn.currentVersion,
    provisionedConcurrentExecutions: 2,
    retryAttempts: 2,
    onFailure: new destinations.SqsDestination(dlq),
  });
  alias.addAutoScaling({ minCapacity: 2, maxCapacity: 10 }).scaleOnUtilization({ utilizationTarget: 0.7 });
  alias.addEventSource(new eventSources.SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
  const period = cdk.Duration.minutes(1);
  new cloudwatch.Alarm(stack, `${name}-alarm-error-rate`, {
    alarmName: `${functionName}-live-error-rate`,
    alarmDescription: `More than 1.00% of invocations of ${functionName}:live failed`,
    metric: new cloudwatch.MathExpression({
      expression: 'IF(FILL(m_invocations, 0) > 0, FILL(m_errors, 0) / FILL(m_invocations, 0), 0)',
      label: 'Error rate',
      usingMetrics: {
        m_errors: alias.metricErrors({ period, statistic: 'Sum' }),
        m_invocations: alias.metricInvocations({ period, statistic: 'Sum' }),
      },
      period,
    }),
    threshold: 0.01,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
const constructed = process.hrtime.bigint();

const assembly = app.synth();
const synthesized = process.hrtime.bigint();

const artifact = assembly.getStackByName(stack.stackName);
const resources = artifact.template.Resources || {};
const counts = {};
for (const resource of Object.values(resources)) counts[resource.Type] = (counts[resource.Type] || 0) + 1;
process.stdout.write(
  JSON.stringify({
    load_seconds: seconds(started, loaded),
    construct_seconds: seconds(loaded, constructed),
    synth_seconds: seconds(constructed, synthesized),
    resources: Object.keys(resources).length,
    counts,
    template: path.join(args.outdir, artifact.templateFile),
    template_validation: args.validation,
    aws_cdk_lib: require('aws-cdk-lib/package.json').version,
  }) + '\n',
);
