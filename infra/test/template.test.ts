// The synthesized template against the manifests. The suites live in test/template/, one file per
// concern; they are imported here so that they all share one process and one synthesis (loading
// aws-cdk-lib and synthesizing the first time costs a few seconds per process).
import './template/http-api';
import './template/websocket';
import './template/web';
import './template/data';
import './template/queues';
import './template/workers';
import './template/iam';
import './template/keys';
import './template/monitoring';
import './template/limits';
