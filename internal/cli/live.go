package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/model"
)

// collectLive audits the account of the current AWS credentials. An error
// means nothing could be collected (no credentials, STS unreachable);
// collectors that fail are recorded in the snapshot's errors instead.
func collectLive(ctx context.Context, o *AuditOptions, maxReportAge time.Duration, now time.Time) (*model.Snapshot, error) {
	d := o.Deps
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL})
	if err != nil {
		return nil, err
	}
	clients := d.awsClients(cfg)
	acct, partition, err := collect.CurrentAccount(ctx, clients)
	if err != nil {
		return nil, fmt.Errorf("%w\n(rootwatch uses the AWS credential chain: AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID, SSO, instance and container roles)", err)
	}
	d.logger().Info("auditing the current account", "account", acct)
	a := model.Account{ID: acct, Partition: partition}
	cs := collect.Collectors(collect.Options{MaxReportAge: maxReportAge, Poll: collect.DefaultPoll()})
	errs := collect.CollectAccount(ctx, cs, clients, &a)
	return &model.Snapshot{CollectedAt: now, Accounts: []model.Account{a}, Errors: errs}, nil
}
