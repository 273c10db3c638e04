package collect

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rootwatch/rootwatch/internal/model"
)

// AssetCounts counts what the seed study sized accounts by, in the regions
// enabled for the account. It runs after the credential report (IAM users)
// and the trails collector.
type AssetCounts struct{}

func (*AssetCounts) Name() string { return "asset counts" }

func (*AssetCounts) Facts() []string { return []string{"assets"} }

func (*AssetCounts) Actions() []string {
	return []string{"ec2:DescribeInstances", "ec2:DescribeRegions", "rds:DescribeDBInstances", "s3:ListAllMyBuckets"}
}

func (*AssetCounts) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	as := model.Assets{IAMUsers: a.IAMUsers, Regions: []string{}}
	if a.Trails != nil {
		as.Trails = len(*a.Trails)
	}
	regions, err := cl.EC2.DescribeRegions(ctx, &ec2.DescribeRegionsInput{}) // enabled regions only
	if err != nil {
		return fmt.Errorf("list the enabled regions: %w", err)
	}
	for _, r := range regions.Regions {
		as.Regions = append(as.Regions, aws.ToString(r.RegionName))
	}
	sort.Strings(as.Regions)
	buckets, err := cl.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return err
	}
	as.S3Buckets = len(buckets.Buckets)
	for _, region := range as.Regions {
		rc := cl.Regional(region)
		for p := ec2.NewDescribeInstancesPaginator(rc.EC2, &ec2.DescribeInstancesInput{}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("EC2 instances in %s: %w", region, err)
			}
			for _, res := range page.Reservations {
				as.EC2Instances += len(res.Instances)
			}
		}
		for p := rds.NewDescribeDBInstancesPaginator(rc.RDS, &rds.DescribeDBInstancesInput{}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("RDS instances in %s: %w", region, err)
			}
			as.RDSInstances += len(page.DBInstances)
		}
	}
	as.Total = as.IAMUsers + as.RDSInstances + as.S3Buckets + as.EC2Instances + as.Trails
	as.Size = model.SizeOf(as.Total)
	a.Assets = &as
	return nil
}
