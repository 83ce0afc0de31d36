import { describe, expect, it } from '@jest/globals';
import { AWS_REGIONS } from '../../../functions/domain/aws-regions';
import { REGION_LOCATIONS } from '../../../functions/domain/region-locations';

describe('region locations', () => {
  it('locate every AWS region the configuration accepts, and no other', () => {
    // A region added to AWS_REGIONS without a location could be approved but never attributed any users.
    for (const region of AWS_REGIONS) {
      expect(REGION_LOCATIONS).toHaveProperty([region]);
      const { city, latitude, longitude } = REGION_LOCATIONS[region];
      expect(city).not.toHaveLength(0);
      expect(Math.abs(latitude)).toBeLessThanOrEqual(90);
      expect(Math.abs(longitude)).toBeLessThanOrEqual(180);
    }
    expect(Object.keys(REGION_LOCATIONS).sort()).toEqual([...AWS_REGIONS].sort());
  });

  it('give every region its own place, with the signs of its hemispheres (a copied or sign-flipped entry would steal users)', () => {
    const places = Object.values(REGION_LOCATIONS).map(({ latitude, longitude }) => `${latitude},${longitude}`);
    expect(new Set(places).size).toBe(places.length);
    expect(REGION_LOCATIONS['sa-east-1'].latitude).toBeLessThan(0);
    expect(REGION_LOCATIONS['ap-southeast-2'].longitude).toBeGreaterThan(100);
    expect(REGION_LOCATIONS['us-west-2'].longitude).toBeLessThan(REGION_LOCATIONS['us-east-1'].longitude);
    expect(REGION_LOCATIONS['eu-north-1'].latitude).toBeGreaterThan(REGION_LOCATIONS['eu-south-1'].latitude);
  });
});
