// Command live-setup builds an organization of N member accounts in an AWS
// emulator (moto_server), for bench/live.sh.
//
//	go run ./bench/live-setup -endpoint http://127.0.0.1:5000 -n 200
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rootwatch/rootwatch/internal/collect"
)

func main() {
	endpoint := flag.String("endpoint", "", "emulator URL")
	n := flag.Int("n", 200, "member accounts")
	flag.Parse()
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: *endpoint})
	if err != nil {
		log.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		log.Fatal(err)
	}
	for i := range *n {
		name := fmt.Sprintf("member-%04d", i)
		if _, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(*n)
}
