package trail

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client trail reads with.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(u string) (bucket, prefix string, ok bool) {
	rest, found := strings.CutPrefix(u, "s3://")
	if !found {
		return "", "", false
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, prefix, bucket != ""
}

// S3Inputs lists the objects under s3://bucket/prefix folder by folder
// (Delimiter "/"), so the delivery layout prunes whole accounts, regions
// and days without listing them; objects come in S3's (lexical) order.
func S3Inputs(api S3API, url string, f *Filter) Inputs {
	return func(ctx context.Context, yield func(Input, error) bool) {
		bucket, prefix, ok := ParseS3URL(url)
		if !ok {
			yield(Input{Name: url}, fmt.Errorf("%q is not an s3://bucket/prefix URL", url))
			return
		}
		// A prefix that names a folder is listed as one.
		listS3(ctx, api, bucket, prefix, f, yield)
	}
}

func listS3(ctx context.Context, api S3API, bucket, prefix string, f *Filter, yield func(Input, error) bool) bool {
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return yield(Input{Name: "s3://" + bucket + "/" + prefix}, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err))
		}
		// Objects and folders of one page, merged in key order.
		objs, dirs := page.Contents, page.CommonPrefixes
		for len(objs) > 0 || len(dirs) > 0 {
			if len(dirs) == 0 || (len(objs) > 0 && aws.ToString(objs[0].Key) < aws.ToString(dirs[0].Prefix)) {
				o := objs[0]
				objs = objs[1:]
				key := aws.ToString(o.Key)
				if strings.HasSuffix(key, "/") || f.Skip(key) {
					continue
				}
				if !yield(s3Input(api, bucket, key, aws.ToInt64(o.Size)), nil) {
					return false
				}
				continue
			}
			d := aws.ToString(dirs[0].Prefix)
			dirs = dirs[1:]
			if f.Skip(strings.TrimSuffix(d, "/")) {
				continue
			}
			if !listS3(ctx, api, bucket, d, f, yield) {
				return false
			}
		}
	}
	return true
}

func s3Input(api S3API, bucket, key string, size int64) Input {
	name := "s3://" + bucket + "/" + key
	return Input{Name: name, Size: size, Open: func(ctx context.Context) (io.ReadCloser, error) {
		out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", name, err)
		}
		return out.Body, nil
	}}
}
