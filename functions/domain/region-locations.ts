/**
 * Where each AWS region is, approximately: the city or metro AWS names for it. Demand attribution
 * measures the great-circle distance from a client's location to these points, so a few tens of
 * kilometres of error do not matter; a missing region does (the type and a unit test require one
 * entry per code of AWS_REGIONS).
 */
import type { AwsRegion } from './aws-regions';

export interface RegionLocation {
  /** The city or metro area AWS names for the region. */
  city: string;
  latitude: number;
  longitude: number;
}

export const REGION_LOCATIONS: Readonly<Record<AwsRegion, RegionLocation>> = {
  'us-east-1': { city: 'Northern Virginia (Ashburn)', latitude: 39.04, longitude: -77.49 },
  'us-east-2': { city: 'Ohio (Columbus)', latitude: 39.96, longitude: -83.0 },
  'us-west-1': { city: 'Northern California (San Jose)', latitude: 37.34, longitude: -121.89 },
  'us-west-2': { city: 'Oregon (Boardman)', latitude: 45.84, longitude: -119.7 },
  'ca-central-1': { city: 'Montreal', latitude: 45.5, longitude: -73.57 },
  'ca-west-1': { city: 'Calgary', latitude: 51.05, longitude: -114.07 },
  'mx-central-1': { city: 'Querétaro', latitude: 20.59, longitude: -100.39 },
  'sa-east-1': { city: 'São Paulo', latitude: -23.55, longitude: -46.63 },
  'eu-west-1': { city: 'Dublin', latitude: 53.35, longitude: -6.26 },
  'eu-west-2': { city: 'London', latitude: 51.51, longitude: -0.13 },
  'eu-west-3': { city: 'Paris', latitude: 48.86, longitude: 2.35 },
  'eu-central-1': { city: 'Frankfurt', latitude: 50.11, longitude: 8.68 },
  'eu-central-2': { city: 'Zurich', latitude: 47.38, longitude: 8.54 },
  'eu-north-1': { city: 'Stockholm', latitude: 59.33, longitude: 18.07 },
  'eu-south-1': { city: 'Milan', latitude: 45.46, longitude: 9.19 },
  'eu-south-2': { city: 'Spain (Aragón, Zaragoza)', latitude: 41.65, longitude: -0.88 },
  'il-central-1': { city: 'Tel Aviv', latitude: 32.09, longitude: 34.78 },
  'me-south-1': { city: 'Bahrain (Manama)', latitude: 26.23, longitude: 50.59 },
  'me-central-1': { city: 'UAE (Dubai)', latitude: 25.2, longitude: 55.27 },
  'af-south-1': { city: 'Cape Town', latitude: -33.92, longitude: 18.42 },
  'ap-south-1': { city: 'Mumbai', latitude: 19.08, longitude: 72.88 },
  'ap-south-2': { city: 'Hyderabad', latitude: 17.39, longitude: 78.49 },
  'ap-east-1': { city: 'Hong Kong', latitude: 22.32, longitude: 114.17 },
  'ap-east-2': { city: 'Taipei', latitude: 25.03, longitude: 121.57 },
  'ap-northeast-1': { city: 'Tokyo', latitude: 35.68, longitude: 139.69 },
  'ap-northeast-2': { city: 'Seoul', latitude: 37.57, longitude: 126.98 },
  'ap-northeast-3': { city: 'Osaka', latitude: 34.69, longitude: 135.5 },
  'ap-southeast-1': { city: 'Singapore', latitude: 1.35, longitude: 103.82 },
  'ap-southeast-2': { city: 'Sydney', latitude: -33.87, longitude: 151.21 },
  'ap-southeast-3': { city: 'Jakarta', latitude: -6.21, longitude: 106.85 },
  'ap-southeast-4': { city: 'Melbourne', latitude: -37.81, longitude: 144.96 },
  'ap-southeast-5': { city: 'Malaysia (Kuala Lumpur)', latitude: 3.14, longitude: 101.69 },
  'ap-southeast-6': { city: 'New Zealand (Auckland)', latitude: -36.85, longitude: 174.76 },
  'ap-southeast-7': { city: 'Thailand (Bangkok)', latitude: 13.76, longitude: 100.5 },
};
