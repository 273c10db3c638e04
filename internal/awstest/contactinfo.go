package awstest

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
)

// AccountAPI is the Account client's part that rootwatch calls.
type AccountAPI interface {
	GetAlternateContact(context.Context, *account.GetAlternateContactInput, ...func(*account.Options)) (*account.GetAlternateContactOutput, error)
	GetContactInformation(context.Context, *account.GetContactInformationInput, ...func(*account.Options)) (*account.GetContactInformationOutput, error)
}

// FakeContactInformation stands in for account:GetContactInformation,
// which moto 5.2.1 does not implement (it answers 404): every account has
// the same primary contact. Alternate contacts still go to moto. Calls
// counts the calls, by the account asked about ("" for the caller's own).
type FakeContactInformation struct {
	AccountAPI
	mu    *sync.Mutex
	Calls map[string]int
}

// NewFakeContactInformation wraps a real Account client.
func NewFakeContactInformation(real AccountAPI) *FakeContactInformation {
	return &FakeContactInformation{AccountAPI: real, mu: &sync.Mutex{}, Calls: map[string]int{}}
}

func (f *FakeContactInformation) GetContactInformation(_ context.Context, in *account.GetContactInformationInput, _ ...func(*account.Options)) (*account.GetContactInformationOutput, error) {
	f.mu.Lock()
	f.Calls[aws.ToString(in.AccountId)]++
	f.mu.Unlock()
	return &account.GetContactInformationOutput{ContactInformation: &accounttypes.ContactInformation{
		FullName: aws.String("Cloud Platform Team"), CompanyName: aws.String("Example Corp"), AddressLine1: aws.String("1 Main Street"),
		City: aws.String("Seattle"), CountryCode: aws.String("US"), PostalCode: aws.String("98101"), PhoneNumber: aws.String("+1 206 555 0100"),
	}}, nil
}
