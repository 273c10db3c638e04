package collect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/model"
)

// The classes of a per-account error (model.SourceError.Class): what a
// person does about it differs (grant the action, enable the region or
// feature, slow down or retry later, check the name, look at the network).
const (
	ClassAccessDenied = "access_denied"
	ClassNotEnabled   = "not_enabled" // an opt-in region, a feature or service access not enabled, an account not active
	ClassThrottled    = "throttled"
	ClassNotFound     = "not_found"
	ClassTimeout      = "timeout"
	ClassOther        = "other"
)

// Classes are the error classes, in the order summaries list them.
func Classes() []string {
	return []string{ClassAccessDenied, ClassNotEnabled, ClassThrottled, ClassNotFound, ClassTimeout, ClassOther}
}

// Classify says which class an error from AWS (or from reading what it
// answered) is of.
func Classify(err error) string {
	var te interface{ Timeout() bool }
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &te) && te.Timeout():
		return ClassTimeout
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if c := classOfCode(ae.ErrorCode()); c != "" {
			return c
		}
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		switch hs.HTTPStatusCode() {
		case http.StatusForbidden, http.StatusUnauthorized:
			return ClassAccessDenied
		case http.StatusNotFound:
			return ClassNotFound
		case http.StatusTooManyRequests:
			return ClassThrottled
		}
	}
	return ClassOther
}

// classOfCode classes an AWS error code, or says "" when it does not know
// it.
func classOfCode(code string) string {
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok && code != "LimitExceededException" {
		return ClassThrottled // IAM's LimitExceeded is a quota, or a report being generated
	}
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedAccess", "UnauthorizedOperation", "AuthorizationError",
		"AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
		"AccountNotManagementOrDelegatedAdministrator", "AccountNotManagementOrDelegatedAdministratorException":
		return ClassAccessDenied
	case "OptInRequired", "SubscriptionRequiredException", "RegionDisabledException", "InvalidRegion",
		"ServiceAccessNotEnabled", "ServiceAccessNotEnabledException", "AWSOrganizationsNotInUseException",
		"OrganizationNotInAllFeaturesMode", "OrganizationNotInAllFeaturesModeException", "TrustedAccessNotEnabled":
		return ClassNotEnabled
	case "NoSuchEntity", "ReportNotPresent", "ReportExpired":
		return ClassNotFound
	}
	switch {
	case strings.HasSuffix(code, "UnauthorizedOperation"):
		return ClassAccessDenied
	case strings.Contains(code, "Throttl"):
		return ClassThrottled
	case strings.Contains(code, "NotFound"), strings.HasPrefix(code, "NoSuch"):
		return ClassNotFound
	}
	return ""
}

// SourceError is one account's error from a source, worded for a person
// and classed.
func SourceError(account, source string, err error) model.SourceError {
	return model.SourceError{Account: account, Source: source, Message: describe(err), Class: Classify(err)}
}

// described is an error worded for a person (what was being done, then
// describe's words) that keeps the AWS error for Classify.
type described struct {
	msg string
	err error
}

func (e *described) Error() string { return e.msg }
func (e *described) Unwrap() error { return e.err }

// describef words err after what was being done: format and args, then
// ": " and describe's words.
func describef(err error, format string, args ...any) error {
	return &described{msg: fmt.Sprintf(format, args...) + ": " + describe(err), err: err}
}

// CountByClass counts errors by class, in Classes' order, leaving out
// classes with none; errors without a class count as other.
func CountByClass(errs []model.SourceError) []ClassCount {
	n := map[string]int{}
	for _, e := range errs {
		c := e.Class
		if c == "" {
			c = ClassOther
		}
		n[c]++
	}
	var out []ClassCount
	for _, c := range Classes() {
		if n[c] > 0 {
			out = append(out, ClassCount{Class: c, Count: n[c]})
		}
	}
	return out
}

// ClassCount is how many errors a class has.
type ClassCount struct {
	Class string
	Count int
}
