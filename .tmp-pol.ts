import { Template } from 'aws-cdk-lib/assertions';
import { buildTestApp } from './test/support/app-factory';
const { control } = buildTestApp();
const t = Template.fromStack(control).toJSON();
for (const [id, r] of Object.entries<any>(t.Resources)) if ((r.Type==='AWS::IAM::Policy' || r.Type==='AWS::IAM::ManagedPolicy') && id.includes('Operator')) { for (const st of r.Properties.PolicyDocument.Statement) console.log(r.Type.slice(10), JSON.stringify(st).length, st.Sid ?? [].concat(st.Action).join(',')); }
